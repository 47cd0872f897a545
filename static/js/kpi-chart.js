// A portfolio company's KPI trend on the holding page: revenue and revenue in Chongqing as bars,
// net profit as a line (万元, left axis), headcount as a dashed line (right axis). The data is
// the JSON of the element named by data-source ({yearly: {...}, quarterly: {...}}, each with
// periods and one list per KPI, null where missing); the labels come from data attributes in
// the user's language. Drawn with the vendored ECharts; no inline script (CSP).
(function () {
  if (!window.echarts) return;
  const charts = [];
  document.querySelectorAll(".kpi-chart").forEach((element) => {
    const source = document.getElementById(element.dataset.source);
    if (!source) return;
    const data = JSON.parse(source.textContent || "{}")[element.dataset.granularity];
    if (!data || !data.periods || !data.periods.length) return;
    const labels = element.dataset;
    const chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 70, right: 60, top: 40, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.periods },
      yAxis: [
        { type: "value", name: labels.wan },
        { type: "value", name: labels.people, splitLine: { show: false }, minInterval: 1 },
      ],
      series: [
        { name: labels.revenue, type: "bar", data: data.revenue_yuan },
        { name: labels.cqRevenue, type: "bar", data: data.cq_revenue_yuan },
        { name: labels.netProfit, type: "line", data: data.net_profit_yuan, connectNulls: false },
        {
          name: labels.headcount,
          type: "line",
          yAxisIndex: 1,
          data: data.headcount,
          lineStyle: { type: "dashed" },
          symbol: "diamond",
        },
      ],
    });
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
