import { parseInboundMessage } from './parse-message';

describe('parseInboundMessage', () => {
  it('accepts the messages of DESIGN.md section 4', () => {
    const bodies = [
      {
        type: 'START_WORKFLOW',
        workflow_id: 'import_vn_memphis_v1',
        definition_key: 'import_vn_memphis_v1.yaml',
        instance_id: 'optional-caller-chosen-id',
        context: { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' },
      },
      { type: 'CANCEL_WORKFLOW', instance_id: 'i-1', reason: 'optional text' },
      { type: 'REDRIVE_WORKFLOW', instance_id: 'i-1', redrive_id: 'r-1', reason: 'fixed', by: 'ops' },
      { type: 'REDRIVE_WORKFLOW', instance_id: 'i-1' },
      {
        type: 'ASYNC_RESP',
        instance_id: 'i-1',
        request_id: 'r',
        status: 'SUCCESS',
        outputs: { import_enrichment_uri: 's3://x' },
      },
      {
        type: 'ASYNC_RESP',
        instance_id: 'i-1',
        request_id: 'r',
        status: 'FAILURE',
        error: { code: 'NOT_FOUND', message: 'm' },
      },
      { type: 'TIMER_FIRED', instance_id: 'i-1', request_id: 'r', fire_at: '2026-01-01T00:00:00Z' },
    ];
    for (const body of bodies) {
      const parsed = parseInboundMessage(JSON.stringify(body));
      expect(parsed).toEqual({ ok: true, message: body });
    }
  });

  it('defaults the START context to empty', () => {
    expect(parseInboundMessage('{"type":"START_WORKFLOW","workflow_id":"w"}')).toEqual({
      ok: true,
      message: { type: 'START_WORKFLOW', workflow_id: 'w', context: {} },
    });
  });

  it.each([
    ['not json', /^the body is not JSON: /],
    ['[1,2]', /^the body must be a JSON object with a "type" field$/],
    [
      '{"type":"PING"}',
      /^unknown message type "PING"; known types: commands START_WORKFLOW, CANCEL_WORKFLOW, REDRIVE_WORKFLOW, TIMER_FIRED; a capability reply ASYNC_RESP$/,
    ],
    ['{"workflow_id":"w"}', /^the "type" field is missing; known types: /],
    // A key JavaScript cannot keep as data: refused by name instead of dropped from the context.
    [
      '{"type":"START_WORKFLOW","workflow_id":"w","context":{"__proto__":{"admin":true},"b":2}}',
      /^invalid START_WORKFLOW: context\.__proto__: not allowed as a key: it names an object's prototype in JavaScript, so the key would vanish; rename it$/,
    ],
    [
      '{"type":"ASYNC_RESP","instance_id":"i","request_id":"r","status":"SUCCESS","outputs":{"__proto__":1}}',
      /^invalid ASYNC_RESP: outputs\.__proto__: not allowed as a key/,
    ],
    ['{}', /^the "type" field is missing; /],
    ['{"type":null}', /^unknown message type \(a null\); /],
    ['{"type":"START_WORKFLOW","workflow_id":"has space"}', /^invalid START_WORKFLOW: workflow_id: /],
    [
      '{"type":"START_WORKFLOW","workflow_id":"w","extra":1}',
      /^invalid START_WORKFLOW: \(message\): unknown field 'extra'$/,
    ],
    [
      '{"type":"ASYNC_RESP","instance_id":"i","request_id":"r","status":"MAYBE"}',
      /^invalid ASYNC_RESP: status: must be one of SUCCESS, FAILURE$/,
    ],
    [
      '{"type":"ASYNC_RESP","instance_id":"i","request_id":"r","status":"FAILURE"}',
      /^invalid ASYNC_RESP: error: is missing$/,
    ],
    // In plain words, as the validator says them, and quoting nothing of the body.
    [
      '{"type":"START_WORKFLOW","workflow_id":5,"context":[]}',
      /^invalid START_WORKFLOW: workflow_id: must be text; context: must be a map of fields$/,
    ],
    [
      `{"type":"CANCEL_WORKFLOW","instance_id":"a","reason":"${'x'.repeat(1001)}"}`,
      /^invalid CANCEL_WORKFLOW: reason: must be at most 1000 characters$/,
    ],
    [
      '{"type":"CANCEL_WORKFLOW","instance_id":"a/b"}',
      /^invalid CANCEL_WORKFLOW: instance_id: must be 1-128/,
    ],
  ])('rejects %s with a reason', (body, reason) => {
    const parsed = parseInboundMessage(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it.each([
    ['{"type":"START_WORKFLOW","context":{"card": 4111-1111}}', 'invalid at character'],
    ['{"card": "4111-1111"', 'invalid at character 20 of 20'],
    ['4111-1111 is the card', 'invalid'],
    ['{"type":"4111-1111"}', 'unknown message type (a string)'],
  ])('says where %s is wrong without quoting any of it', (body, reason) => {
    const parsed = parseInboundMessage(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toContain(reason);
      expect(parsed.reason).not.toContain('4111');
    }
  });
});
