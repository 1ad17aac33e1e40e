// Crash safety of `kdeploy canary`: killed after each mutating request, then `kdeploy resume` converges
// (test/support/progressive-crash.ts).
import { crashSuite } from '../../support/progressive-crash.js';

crashSuite('canary');
