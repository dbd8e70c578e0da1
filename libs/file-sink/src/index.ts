export { FileSink } from './file-sink';
export { fileSinkConfigSchema, type FileSinkConfig, type FileSinkConfigInput } from './config';
