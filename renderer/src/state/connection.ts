import { create } from 'zustand';
import { watchConnection, type ConnectionStatus } from '../api/client';

interface ConnectionState {
  status: ConnectionStatus;
}

export const useConnection = create<ConnectionState>()(() => ({ status: 'connecting' }));

/** Mirrors the transport's status into the store for as long as the app runs. */
export function trackConnection(): () => void {
  return watchConnection((status) => useConnection.setState({ status }));
}
