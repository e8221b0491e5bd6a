"""The web panel for coordinators and defensoras, served under /panel/ by the one web app
(`bot.panel.mount.install_panel`). The package itself imports nothing: the CLI's account verbs
(`bot.panel.accounts`) then load no web framework, and `serve` loads it after the content."""
