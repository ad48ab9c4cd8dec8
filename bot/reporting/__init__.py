"""The supervision report: the marketplace's delivery health in figures and charts.

`query` selects the delivered orders (filters, groups by seller, product and month), `facts`
gives one row per order with every number the figures add up (computed once per report),
`durations` turns (start, end, time zone) pairs into medians and 90th percentiles in calendar
and working time (in SQL on PostgreSQL, streamed one group at a time on SQLite), `figures`
aggregates the report in SQL, `series` the data behind the charts, `charts` draws them
(matplotlib, Agg), `render` writes text, JSON, CSV or one self-contained HTML file, and
`summary` is the one-query summary the App Home and the weekly digest show.
"""
