// Types for herald-resume (CommonJS). Structural types, so no dependency on @supabase/realtime-js.

/** The part of a RealtimeClient the helper uses. */
export interface ResumableClient {
  channel(topic: string, params?: unknown): any
  getChannels?(): any[]
  socketAdapter?: { getSocket(): { decode: (raw: unknown, cb: (msg: any) => unknown) => unknown } }
}

/** The part of a RealtimeChannel the helper uses. */
export interface ResumableChannel {
  topic: string
  joinPush: { ref?: string | null; payload: unknown }
  socket?: ResumableClient
}

export type StreamKind = 'broadcast' | 'changes'

export interface Positions {
  /** last broadcast position seen (`b:<epoch>:<offset>`) */
  broadcast?: string
  /** last postgres_changes position seen (`c:…`) */
  changes?: string
}

export interface RecoveryInfo {
  /** true: everything missed was delivered before this notice; false: outside the retention window, refetch */
  recovered: boolean
  stream: StreamKind
  /** number of messages replayed (from the server's "Recovered N messages"); 0 when not recovered */
  count?: number
  message: string
  channel: ResumableChannel
}

export interface AttachOptions {
  /** keep a topic's positions after its channel closes, so a new channel on the topic resumes (default false) */
  keepOnClose?: boolean
  /** called for every recorded position, e.g. to persist it */
  onPosition?: (topic: string, kind: StreamKind, position: string) => void
}

export interface ResumeHandle {
  positions(channelOrName: ResumableChannel | string): Positions
  setPositions(channelOrName: ResumableChannel | string, positions: { broadcast?: string | null; changes?: string | null }): void
  forget(channelOrName: ResumableChannel | string): void
  /** one call per recovery notice (per stream and resumed join); returns an unsubscribe function */
  onRecovery(channel: ResumableChannel, cb: (info: RecoveryInfo) => void): () => void
  track<C extends ResumableChannel>(channel: C): C
  detach(): void
}

export function attachResume(client: ResumableClient, options?: AttachOptions): ResumeHandle
export function onRecovery(channel: ResumableChannel, cb: (info: RecoveryInfo) => void): () => void

/**
 * Does `row` satisfy the postgres_changes filter? Operators eq neq lt lte gt gte in is (with `not.`), AND-ed, SQL
 * NULL logic. Throws for other operators and for json/array values.
 */
export function stillMatches(filter: string | null | undefined | { build(): string }, row: Record<string, unknown>): boolean

export function readPosition(msg: { event?: string; payload?: unknown }): { kind: StreamKind; position: string } | null

export interface FilterCondition {
  column: string
  op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'is'
  negated: boolean
  value: string
  values?: (string | null)[]
}
export function parseFilter(filter: string | null | undefined): FilterCondition[]
