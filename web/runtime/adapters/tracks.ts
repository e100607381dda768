// What a model carries from one frame of a live client to the next (the landmarks that give the next
// crop), kept per tracking key (AdapterContext.track): one client's state never reaches another's answers.
// Bounded: clients come and go without saying so, so the least recently used key goes first.

export class TrackStates<T> {
  private readonly states = new Map<string, T>();

  constructor(readonly capacity = 32) {}

  /** The state of `track`, or undefined for a new key or a query that stands alone (no key). */
  get(track: string | undefined): T | undefined {
    if (track === undefined) return undefined;
    const state = this.states.get(track);
    if (state !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.states.delete(track);
      this.states.set(track, state);
    }
    return state;
  }

  /** Keeps `state` for `track` (nothing without a key); undefined forgets it (tracking lost). */
  set(track: string | undefined, state: T | undefined): void {
    if (track === undefined) return;
    this.states.delete(track);
    if (state === undefined) return;
    this.states.set(track, state);
    if (this.states.size > this.capacity) this.states.delete(this.states.keys().next().value!);
  }

  get size(): number {
    return this.states.size;
  }
}
