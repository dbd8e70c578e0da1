export { StatusState, type StatusStateOptions, type AppView, type JobView, type StageView, type QueryView, type BatchView, type StateView } from './state';
export { startStatusServer, STATUS_COOKIE, type StatusServer, type StatusServerOptions, type SidecarView } from './server';
export { STATUS_PAGE_HTML } from './page';
export { statusConfigSchema, type StatusConfig, type StatusConfigInput } from './config';
