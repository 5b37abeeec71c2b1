// Every module's part of the OpenAPI document, in the order the document lists them. A new module with routes adds
// its fragment (server/<module>/openapi.ts, see fragment.ts) to the end of this list; document.test.ts fails until
// every served route is in one fragment, every reference resolves and every schema property is described.
import { authOpenApi } from "../auth/openapi.js";
import { usersOpenApi } from "../auth/user-openapi.js";
import { accessOpenApi } from "../auth/access-openapi.js";
import { sessionOpenApi } from "../auth/session-openapi.js";
import { digestOpenApi } from "../digest/openapi.js";
import { experimentsOpenApi } from "../experiments/openapi.js";
import { planningOpenApi } from "../experiments/planning-openapi.js";
import { metricLibraryOpenApi } from "../experiments/metric-library-openapi.js";
import { predictionsOpenApi } from "../predict/openapi.js";
import { layersOpenApi } from "../experiments/layer-openapi.js";
import { ingestOpenApi } from "../ingest/openapi.js";
import { SDK_VERSION_COMPONENTS } from "../ingest/sdk-versions-openapi.js";
import { liveOpenApi } from "../live/openapi.js";
import { metricsOpenApi } from "../metrics/openapi.js";
import { opsOpenApi } from "../metrics/ops-openapi.js";
import { consentOpenApi } from "../privacy/consent-openapi.js";
import { privacyOpenApi } from "../privacy/openapi.js";
import { settingsOpenApi } from "../settings/openapi.js";
import { warehouseOpenApi } from "../warehouse/openapi.js";
import type { OpenApiFragment } from "./fragment.js";

export const OPENAPI_FRAGMENTS: readonly OpenApiFragment[] = [
	authOpenApi,
	ingestOpenApi,
	liveOpenApi,
	experimentsOpenApi,
	planningOpenApi,
	metricsOpenApi,
	settingsOpenApi,
	digestOpenApi,
	warehouseOpenApi,
	usersOpenApi,
	privacyOpenApi,
	consentOpenApi,
	{ components: SDK_VERSION_COMPONENTS },
	opsOpenApi,
	accessOpenApi,
	sessionOpenApi,
	layersOpenApi,
	metricLibraryOpenApi,
	predictionsOpenApi,
];
