/**
 * The runs a page's charts show, for the titles and file names of exported figures: a view provides them
 * once (the run page: its run) and every chart below it names them, without each chart being told.
 * A chart given its runs explicitly (a comparison) uses those instead.
 */
import { inject, provide, type InjectionKey } from 'vue';

const FIGURE_RUNS: InjectionKey<() => string[]> = Symbol('figure-runs');

export function provideFigureRuns(names: () => string[]): void {
  provide(FIGURE_RUNS, names);
}

export function injectFigureRuns(): () => string[] {
  return inject(FIGURE_RUNS, () => []);
}
