import { html } from 'hono/html';
import type { DeadLetteredMessage } from '../../orchestrator/src/operations/dead-letters';
import type { ActionNotice } from './instance-page';
import { pageLayout, type Html } from './page-layout';

/** The value of a message's checkbox: what the redrive needs to find it again (queue label, DLQ id). */
export const chosenValue = (m: DeadLetteredMessage) => JSON.stringify([m.queue, m.messageId]);

/**
 * Every DLQ's messages, as `wf dlq list` reads them (nothing consumed), with their reason; the chosen ones
 * are redriven after a confirmation.
 */
export function deadLettersPage(
  messages: readonly DeadLetteredMessage[],
  notice: ActionNotice | undefined,
): Html {
  const body = html`
    <h1>Dead letters</h1>
    ${notice ? html`<pre class="${notice.ok ? 'notice' : 'error'}" id="notice">${notice.text}</pre>` : ''}
    <form
      method="post"
      action="/dead-letters/redrive"
      onsubmit="return confirm('Send the chosen messages back to the queues they came from?')"
    >
      <table id="dead-letters">
        <thead>
          <tr>
            <th></th>
            <th>Queue</th>
            <th>Type</th>
            <th>Instance</th>
            <th>Workflow</th>
            <th>Reason</th>
            <th>Dead-lettered</th>
            <th>Body</th>
          </tr>
        </thead>
        <tbody>
          ${
            messages.length === 0
              ? html`<tr>
                  <td colspan="8" class="muted">no dead-lettered messages</td>
                </tr>`
              : messages.map(
                  (m) =>
                    html`<tr data-message="${m.messageId}">
                      <td><input type="checkbox" name="message" value="${chosenValue(m)}" /></td>
                      <td>${m.queue}</td>
                      <td>${m.type ?? '(not a message of ours)'}</td>
                      <td>
                        ${
                          m.instanceId
                            ? html`<a href="/instances/${encodeURIComponent(m.instanceId)}"
                                >${m.instanceId}</a
                              >`
                            : '-'
                        }
                      </td>
                      <td>${m.workflowId ?? '-'}</td>
                      <td class="reason">
                        ${m.reason ?? '(moved by the redrive policy: no reason recorded)'}
                      </td>
                      <td>${m.deadLetteredAt ?? '-'}</td>
                      <td>
                        <details>
                          <summary>${m.offloaded ? 'pointer to S3' : 'body'}</summary>
                          <pre class="json">${m.body}</pre>
                        </details>
                      </td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
      <p><button type="submit" id="redrive-chosen">Redrive chosen</button></p>
    </form>
  `;
  return pageLayout('Dead letters', body);
}
