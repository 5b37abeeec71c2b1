// Revenue: the Robux players spent (purchase events, from Vantage.purchase in ProcessReceipt), per day and per
// player (ARPDAU), the share of players who pay, lifetime value by install cohort, and the products that earn most.
import { useMemo } from "preact/hooks";
import type { Revenue } from "../api-types.js";
import { Chart } from "../components/chart.js";
import { HeatTable } from "../components/heat-table.js";
import { Plot, type PlotAxis } from "../components/plot.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatValue } from "../format.js";
import { useApi } from "../use-api.js";
import { csvPath, DataTable, HiddenNote, jsonPath, Panel, SegmentChooser, Stats } from "./analytics-parts.js";
import type { PageProps } from "./index.js";
import { usePageParams } from "./page-params.js";
import { hasPurchases, LTV_DAYS, ltvCurves, ltvRows, productRows, revenueDaily, revenueStats } from "./revenue-data.js";
import { pickSegment, segmentLabel } from "./segments-data.js";

const formatRobux = (value: number) => formatValue(value, "robux");
const formatRate = (value: number) => formatValue(value, "ratio");
const DATE_AXIS: PlotAxis = { kind: "date" };
const DAY_AXIS: PlotAxis = { kind: "number", title: "Days after install", format: (d) => `day ${d}` };
const DEFAULTS = { segment: "" };
const PRODUCT_COLUMNS = [
	{ label: "Product" },
	{ label: "Revenue", numeric: true },
	{ label: "Purchases", numeric: true },
	{ label: "Share", numeric: true },
];

export function RevenuePage({ state, range }: PageProps) {
	const [params, setParams] = usePageParams(DEFAULTS);
	const query = { ltvDays: LTV_DAYS };
	const answer = useApi<[Revenue]>([jsonPath(state, range, "revenue", query)]);
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const robux = useMemo(() => data && revenueDaily(data, (d) => d.revenue), [data]);
	const arpdau = useMemo(() => data && revenueDaily(data, (d) => d.arpdau), [data]);
	const conversion = useMemo(() => data && revenueDaily(data, (d) => d.payerConversion), [data]);
	const shown = data && pickSegment(data.segments, params.segment, (s) => s.revenue);
	const ltv = useMemo(() => shown && ltvCurves(shown), [shown]);
	const by = state.breakdown ? ` by ${state.breakdown}` : "";
	const of = shown?.segment ? ` (${segmentLabel(shown.segment)})` : "";
	const csv = (what: string, table?: string) => ({
		href: csvPath(state, range, "revenue", { ...query, ...(table && { table }) }),
		what,
	});

	return (
		<div class="analytics">
			<header class="page-head">
				<h1>Revenue</h1>
				<p class="muted">Robux players spent on developer products and passes, recorded by Vantage.purchase.</p>
			</header>
			{answer.status === "loading" ? <Loading label="Loading revenue…" /> : null}
			{answer.status === "failed" ? <Failed what="revenue" error={answer.error} onRetry={answer.retry} /> : null}
			{data && !hasPurchases(data) ? (
				<Empty title="No purchases in this date range">
					<p>
						No purchases yet: call <code>Vantage.purchase(receiptInfo)</code> from{" "}
						<code>MarketplaceService.ProcessReceipt</code> before granting the product, then buy one in a test server.
						Or pick a longer date range above.
					</p>
				</Empty>
			) : null}
			{data && hasPurchases(data) && robux && arpdau && conversion && shown && ltv ? (
				<>
					{state.breakdown ? (
						<SegmentChooser
							id="revenue-segment"
							dimension={state.breakdown}
							segments={data.segments.map((s) => s.segment)}
							value={shown.segment}
							onChange={(segment) => setParams({ segment })}
						/>
					) : null}
					<Stats label={`Revenue in the range${of}`} items={revenueStats(shown)} />
					<Panel id="revenue-daily" title={`Robux per day${by}`} csv={csv("Robux per day chart")}>
						<Chart label="Robux spent per day" data={robux} format={formatRobux} />
						<HiddenNote hidden={robux.hidden} />
					</Panel>
					<div class="panel-grid">
						<Panel id="revenue-arpdau" title={`ARPDAU${by}`} csv={csv("ARPDAU chart")}>
							<Chart label="Average revenue per daily active player" data={arpdau} format={formatRobux} />
						</Panel>
						<Panel id="revenue-conversion" title={`Payer conversion${by}`} csv={csv("payer conversion chart")}>
							<Plot
								label="Share of daily active players who paid"
								data={conversion}
								x={DATE_AXIS}
								format={formatRate}
								yFormat={formatRate}
							/>
						</Panel>
					</div>
					<Panel
						id="revenue-ltv"
						title={`Lifetime value by install cohort${of}`}
						csv={csv("lifetime value chart", "ltv")}
					>
						<p class="muted small">Robux per player spent by day N after their first day, summed up to that day.</p>
						<Plot
							label="Lifetime value in Robux per player by day after install"
							data={ltv}
							x={DAY_AXIS}
							format={formatRobux}
						/>
						{ltv.hidden > 0 ? (
							<p class="muted small">
								The {ltv.series.length - 1} largest cohorts are drawn; the table has all{" "}
								{ltv.series.length - 1 + ltv.hidden}.
							</p>
						) : null}
						<HeatTable
							caption="Lifetime value in Robux per player by install cohort and day after install"
							labelHeader="Cohort"
							detailHeader="Players"
							columns={shown.ltv.days.map((d) => `Day ${d.day}`)}
							rows={ltvRows(shown)}
						/>
					</Panel>
					<Panel id="revenue-products" title={`Top products${of}`} csv={csv("top products table", "products")}>
						{shown.topProducts.length > 0 ? (
							<DataTable
								caption="Products with the most Robux in the range"
								columns={PRODUCT_COLUMNS}
								rows={productRows(shown)}
							/>
						) : (
							<p class="muted">No product was bought by these players in the range.</p>
						)}
					</Panel>
				</>
			) : null}
		</div>
	);
}
