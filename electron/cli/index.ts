import { Command, CommanderError } from 'commander';
import { registerDoctor } from './commands/doctor';
import { registerHub, registerPull } from './commands/hub';
import { registerJobs } from './commands/jobs';
import { registerModels } from './commands/models';
import { registerServe } from './commands/serve';
import { registerSystem } from './commands/system';
import { registerToolchain } from './commands/toolchain';
import { registerChat } from './commands/chat';
import { CliError, paths } from './context';

const program = new Command()
  .name('whittle')
  .description(
    'Whittle: pull, quantize, chat-test, fine-tune, evaluate and package small language models.\nData dir: WHITTLE_HOME or the platform app data dir.',
  )
  .version(paths.version)
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerModels(program);
registerPull(program);
registerHub(program);
registerJobs(program);
registerSystem(program);
registerToolchain(program);
registerChat(program);
registerDoctor(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`whittle: ${message}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
