/** Paul Tol's "muted" scheme plus grey: ten classes that colour-blind readers can tell apart. */
export const CLASS_COLORS = ['#CC6677', '#332288', '#DDCC77', '#117733', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499', '#7f7f7f'];
