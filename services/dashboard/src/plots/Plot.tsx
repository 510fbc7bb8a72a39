/**
 * One plot over virtual time, drawn by uPlot (canvas, made for many points): made once, then
 * given new data; sized to its container. Each series is a line, a step or dots, and each is
 * named in the legend, so that none is told from another by colour alone.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PlotData } from './series';

export interface SeriesSpec {
  label: string;
  colour: string;
  /** step: a value that holds until the next (cwnd); dots: points alone; hollow: rings. */
  style: 'line' | 'step' | 'dashed' | 'dots' | 'hollow';
  /** The right-hand axis, when a series has other units. */
  right?: boolean;
}

export interface PlotProps {
  title: string;
  testId: string;
  yLabel: string;
  rightLabel?: string;
  series: readonly SeriesSpec[];
  data: PlotData;
  fontPx: number;
  height?: number;
}

/** uPlot's stepped path builder (a value holds until the next one). */
const steppedBuilder = uPlot.paths.stepped?.({ align: 1 });
const stepped: uPlot.Series.PathBuilder = (self, seriesIdx, idx0, idx1) =>
  steppedBuilder === undefined ? null : steppedBuilder(self, seriesIdx, idx0, idx1);

function seriesOptions(spec: SeriesSpec): uPlot.Series {
  const scale = spec.right === true ? 'right' : 'y';
  const base = { label: spec.label, stroke: spec.colour, scale, spanGaps: true };
  switch (spec.style) {
    case 'step':
      return { ...base, width: 2, paths: stepped, points: { show: false } };
    case 'dashed':
      return { ...base, width: 2, dash: [6, 4], paths: stepped, points: { show: false } };
    case 'line':
      return { ...base, width: 2, points: { show: false } };
    case 'dots':
      return {
        ...base,
        width: 0,
        paths: () => null,
        points: { show: true, size: 5, fill: spec.colour, stroke: spec.colour },
      };
    case 'hollow':
      return {
        ...base,
        width: 0,
        paths: () => null,
        points: { show: true, size: 9, width: 2, fill: '#ffffff', stroke: spec.colour },
      };
  }
}

export function Plot({
  title,
  testId,
  yLabel,
  rightLabel,
  series,
  data,
  fontPx,
  height = 220,
}: PlotProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const font = `${fontPx}px system-ui, sans-serif`;
    const axis = (label: string, side?: 1) => ({
      label,
      font,
      labelFont: font,
      // Room for "2,000,000" and the axis label beside it.
      size: fontPx * 7,
      ...(side === undefined ? {} : { side, scale: 'right', grid: { show: false } }),
    });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        { ...axis('virtual time (ms)'), size: fontPx * 3.5 },
        axis(yLabel),
        ...(rightLabel === undefined ? [] : [axis(rightLabel, 1)]),
      ],
      series: [{ label: 'ms' }, ...series.map(seriesOptions)],
    };
    const plot = new uPlot(opts, toAligned(latest.current), el);
    chart.current = plot;
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = undefined;
    };
    // The series and axes are fixed for a plot; a new font size makes it again.
  }, [fontPx, height]);

  useEffect(() => {
    chart.current?.setData(toAligned(data));
  }, [data]);

  return (
    <figure
      className="plot"
      data-testid={testId}
      data-points={data.xs.length}
      data-peak={peak(data.ys[0] ?? [])}
    >
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}

/** The first series' highest value (for readers and tests: the plot's headline number). */
function peak(ys: readonly (number | null)[]): number | undefined {
  let top: number | undefined;
  for (const y of ys) if (y !== null && (top === undefined || y > top)) top = y;
  return top;
}

function toAligned(data: PlotData): uPlot.AlignedData {
  return [data.xs, ...data.ys] as uPlot.AlignedData;
}
