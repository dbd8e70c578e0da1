export { ListenerClient, StreamSession, type ClientOptions } from './listener-client';
