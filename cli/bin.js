#!/usr/bin/env node
// The published entry point: lets Node run the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

// Lambda runs Node 22; on a Node 20 laptop the SDK's warning is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
