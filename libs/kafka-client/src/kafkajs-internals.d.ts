// kafkajs ships no types for its internal modules; kafkajs-idle-timer.ts replaces one method.
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: { prototype: { scheduleCheckPendingRequests(): void; checkPendingRequests(): void } };
  export default RequestQueue;
}
