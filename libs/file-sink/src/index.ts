export { FileSink, type FileSinkConfig } from './file-sink';
