import { sha256Of } from '../../definition/content-hash';
import type { DefinitionStore, DefinitionText } from '../ports';

/** Definitions in memory: `put` plays the role of uploading YAML to the definitions bucket. */
export class MemoryDefinitionStore implements DefinitionStore {
  private readonly current = new Map<string, string>();
  private readonly pinned = new Map<string, string>();

  put(key: string, text: string): void {
    this.current.set(key, text);
  }

  load(key: string): Promise<DefinitionText | undefined> {
    const text = this.current.get(key);
    return Promise.resolve(text === undefined ? undefined : { text, sha256: sha256Of(text) });
  }

  pin(definition: DefinitionText): Promise<void> {
    this.pinned.set(definition.sha256, definition.text);
    return Promise.resolve();
  }

  loadPinned(sha256: string): Promise<string | undefined> {
    return Promise.resolve(this.pinned.get(sha256));
  }
}
