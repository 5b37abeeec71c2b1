// The dashboard's entry point (the shell page at / loads it as a module): styles, theme, session, then the app.
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { render } from "preact";
import { setCsrfToken } from "./api.js";
import { App } from "./app.js";
import { readPageSession } from "./session.js";
import { applyTheme } from "./theme.js";

applyTheme();
const session = readPageSession();
setCsrfToken(session.csrfToken);
const root = document.getElementById("app");
if (root) {
	root.replaceChildren();
	render(<App session={session} />, root);
}
