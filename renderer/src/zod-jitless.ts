// The job kinds' contracts bring shared zod schemas into the renderer. Zod builds a fast path for each object schema
// with new Function() unless told not to; the app's CSP forbids eval, so every page load reported a violation.
// main.tsx imports this module first, before anything that builds a schema.
import { config } from 'zod';

config({ jitless: true });
