/** The built-in tasks, by name. */
import { AddingTask } from './adding';
import { CharsTask } from './chars';
import { SentimentTask } from './sentiment';
import { SineTask } from './sine';
import type { Task, TaskName } from './task';

export interface TaskOptions {
  seqLen: number;
  seed: number;
  /** The text of the chars task. */
  text?: string;
}

export function makeTask(name: TaskName, options: TaskOptions): Task {
  switch (name) {
    case 'adding':
      return new AddingTask(options.seqLen, options.seed);
    case 'sine':
      return new SineTask(options.seqLen, options.seed);
    case 'sentiment':
      return new SentimentTask(options.seqLen, options.seed);
    case 'chars':
      if (options.text === undefined) throw new Error('expected a text for the chars task, got none');
      return new CharsTask(options.text, options.seqLen, options.seed);
  }
}

export { AddingTask, CharsTask, SentimentTask, SineTask };
export * from './task';
