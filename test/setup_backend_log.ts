/** setupFilesAfterEnv: records the backends each test file's tests ran on (test/backend_log.ts). */
import { recordBackends } from './backend_log';

recordBackends();
