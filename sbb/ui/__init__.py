"""The browser app's helpers. `app.py` calls `page.main()`.

- `controls`: settings dict <-> Scenario, the Control list and drawing one control;
- `presentation`: headline numbers, the per-school table and the equity data, as plain data;
- `charts`: Altair chart specs from tables (no Streamlit);
- `state`: data sources, the in-memory district cache, upload handling, command-line arguments;
- `theory`: the theory-of-action tab;
- `page`: the page itself (sidebar, working view, presentation view);
- `address`: the scenario's settings (and saved versions) <-> the page's query parameters, checked whole;
- `history`: undo and redo of the settings; `versions`: named versions (name and note checks, TOML);
- `workspace`: the page's hooks for those three, per session (Streamlit).

Everything except `page`, `workspace`, `theory.render`, `controls.render_control` / `sync_widgets` and the cache in
`state` is a plain function of its inputs, tested without Streamlit.
"""
