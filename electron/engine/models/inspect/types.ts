import type { ModelInspection } from '../../../../shared/models';

export interface InspectedModel {
  /** The model's folder, or the folder holding the GGUF file. */
  root: string;
  /** The GGUF file (first part when split) or the model folder, absolute. */
  entry: string;
  /** Absolute paths of every file that belongs to the model. */
  files: string[];
  inspection: ModelInspection;
}
