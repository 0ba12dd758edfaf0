import type { Tone } from '../../components/Badge';

/** Colour for how full something is: calm, then a warning past 80 %, then danger past 95 %. */
export function usageTone(fraction: number): Tone {
  if (fraction >= 0.95) return 'danger';
  if (fraction >= 0.8) return 'warning';
  return 'info';
}
