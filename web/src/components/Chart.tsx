import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { compactMoney, money, shortDay } from '../format';

// Only what the dashboard draws is bundled: bars, lines, axes, legend, tooltip, SVG output.
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export interface ChartSeries {
  name: string;
  values: number[];
  /** Drawn as a line over the stacked bars, not stacked (a part of them, such as idle). */
  line?: boolean;
  color?: string;
}

/** Up to eight series in colours that stay apart for people with common colour blindness. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#9c755f',
];

/** Dollars per day, stacked by series, with a legend and a tooltip listing each series and the day's total. */
export function StackedDailyChart(props: {
  days: string[];
  series: ChartSeries[];
  height?: number;
  label: string;
}) {
  const { days, series, height = 320, label } = props;
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!element.current) return;
    const instance = echarts.init(element.current, undefined, { renderer: 'svg' });
    chart.current = instance;
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(element.current);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const narrow = (element.current?.clientWidth ?? 800) < 520;
    chart.current?.setOption(
      {
        animation: false,
        color: PALETTE,
        legend: { type: 'scroll', top: 0, left: 0, right: 0 },
        grid: { top: 40, left: 8, right: 8, bottom: 8, containLabel: true },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          valueFormatter: (value: unknown) => (typeof value === 'number' ? money(value) : '—'),
        },
        xAxis: {
          type: 'category',
          data: days,
          axisLabel: {
            formatter: (day: string) => shortDay(day),
            hideOverlap: true,
            rotate: narrow ? 45 : 0,
          },
        },
        yAxis: { type: 'value', axisLabel: { formatter: (value: number) => compactMoney(value) } },
        series: series.map((s) =>
          s.line
            ? {
                name: s.name,
                type: 'line',
                data: s.values,
                symbol: 'none',
                lineStyle: { type: 'dashed' },
                color: s.color,
              }
            : { name: s.name, type: 'bar', stack: 'total', data: s.values, barMaxWidth: 28, color: s.color },
        ),
      },
      true,
    );
  }, [days, series]);

  return (
    <div
      className="chart"
      ref={element}
      style={{ height }}
      role="img"
      aria-label={label}
      data-testid="chart"
    />
  );
}
