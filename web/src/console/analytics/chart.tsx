import { BarChart, type BarSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  type GridComponentOption,
  type LegendComponentOption,
} from 'echarts/components';
import { init, use as registerEcharts, type ComposeOption } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only what the analytics charts draw, and the SVG renderer: the chunk stays small, and SVG (unlike the
// canvas) is a document the browser can zoom and print. No tooltip: its HTML carries inline `style`
// attributes the app's CSP (style-src 'self') refuses; each chart's table says the figures instead.
registerEcharts([BarChart, GridComponent, LegendComponent, SVGRenderer]);

export type ChartOption = ComposeOption<BarSeriesOption | GridComponentOption | LegendComponentOption>;

/**
 * One chart, drawn as SVG. To assistive technology it is a single image named `label`; the figures it
 * draws are in the table beside it, which is its text alternative.
 */
export function Chart({ label, option, height }: { label: string; option: ChartOption; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof init> | undefined>(undefined);
  useEffect(() => {
    const dom = ref.current;
    if (!dom) return undefined;
    const instance = init(dom, undefined, { renderer: 'svg' });
    chart.current = instance;
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(dom);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = undefined;
    };
  }, []);
  // The option is made anew on every render of the screen; drawn again only when what it says changes.
  const said = JSON.stringify(option);
  useEffect(() => {
    // Replaced whole, not merged: a series the new figures lack must go.
    chart.current?.setOption(JSON.parse(said) as ChartOption, { notMerge: true });
  }, [said]);
  return (
    <div
      ref={ref}
      className="analytics-chart"
      role="img"
      aria-label={label}
      // Set through the CSSOM, which the CSP's style-src 'self' allows (an inline style attribute it would not).
      style={height ? { height } : undefined}
    />
  );
}
