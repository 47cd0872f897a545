"""The industry map: the pipeline and the portfolio on Chongqing's districts (`/map`)."""
