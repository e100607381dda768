// socket.io-client 2.x installed under the alias socket.io-client-v2 (Runway's p5.js examples bundle 2.x);
// it ships no types. Only what the tests use.
declare module 'socket.io-client-v2' {
  export interface SocketV2 {
    readonly connected: boolean;
    on(event: string, listener: (...args: any[]) => void): SocketV2;
    emit(event: string, ...args: unknown[]): SocketV2;
    close(): SocketV2;
  }
  export default function io(url: string, options?: Record<string, unknown>): SocketV2;
}
