"""Ready-to-paste configurations for the tools that can use a served run (the window's *Use it elsewhere…*
dialog copies them; the README shows the same). Editors speak LSP to `gru-desktop lsp` over stdio (no port,
no token); Continue talks HTTP to `gru-desktop serve` through OpenAI's legacy completions endpoint."""
from __future__ import annotations

import json

TOOLS = ("Continue", "Neovim", "Helix", "VS Code")


def snippet(tool: str, run_id: int | str, url: str = "http://127.0.0.1:8765/v1", token: str = "TOKEN",
            command: str = "gru-desktop") -> str:
    run = str(run_id)
    if tool == "Continue":  # ~/.continue/config.json: Continue's tab-autocomplete model
        return ("// ~/.continue/config.json — the run as Continue's autocomplete model (gru-desktop serve must run)\n"
                + json.dumps({"tabAutocompleteModel": {
                    "title": f"GRU Desktop run {run}", "provider": "openai", "model": f"run-{run}",
                    "apiBase": url.rstrip("/") + "/", "apiKey": token, "useLegacyCompletionsEndpoint": True}}, indent=2))
    if tool == "Neovim":  # Neovim 0.11+
        return (f"-- init.lua (Neovim 0.11+): next-word completion in text and Markdown\n"
                f"vim.lsp.config('gru_desktop', {{\n"
                f"  cmd = {{ '{command}', 'lsp', '{run}' }},\n"
                f"  filetypes = {{ 'text', 'markdown' }},\n"
                f"  root_markers = {{ '.git' }},\n"
                f"}})\n"
                f"vim.lsp.enable('gru_desktop')\n"
                f"vim.api.nvim_create_autocmd('LspAttach', {{ callback = function(ev)\n"
                f"  vim.lsp.completion.enable(true, ev.data.client_id, ev.buf, {{ autotrigger = true }})\n"
                f"end }})\n")
    if tool == "Helix":  # ~/.config/helix/languages.toml
        return (f"# ~/.config/helix/languages.toml\n"
                f"[language-server.gru-desktop]\n"
                f"command = \"{command}\"\n"
                f"args = [\"lsp\", \"{run}\"]\n\n"
                f"[[language]]\n"
                f"name = \"markdown\"\n"
                f"language-servers = [\"marksman\", \"gru-desktop\"]\n\n"
                f"[[language]]\n"
                f"name = \"text\"\n"
                f"scope = \"text.plain\"\n"
                f"file-types = [\"txt\"]\n"
                f"language-servers = [\"gru-desktop\"]\n")
    if tool == "VS Code":  # the "Generic LSP Client (v2)" extension (zsol.vscode-glspc)
        return ("// settings.json, with the extension \"Generic LSP Client (v2)\" (zsol.vscode-glspc)\n"
                + json.dumps({"glspc.server.command": command, "glspc.server.commandArguments": ["lsp", run],
                              "glspc.server.languageId": ["plaintext", "markdown"]}, indent=2))
    raise ValueError(f"no snippet for {tool!r}")
