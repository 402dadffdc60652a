// The cci-dsl extension's client: starts `cci-dsl lsp` (the binary the `cci-dsl.path`
// setting names, `cci-dsl` on PATH by default) for .cci files, through
// vscode-languageclient. Everything the editor shows comes from the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

// How the server is started: the configured binary, with `lsp`, over stdio.
function serverOptions(config) {
  const command = (config.get("path") || "").trim() || "cci-dsl";
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

// What the client serves: .cci files on disk and unsaved ones.
const clientOptions = {
  documentSelector: [
    { scheme: "file", language: "cci" },
    { scheme: "untitled", language: "cci" },
  ],
};

async function activate(context) {
  const server = serverOptions(vscode.workspace.getConfiguration("cci-dsl"));
  client = new LanguageClient("cci-dsl", "cci-dsl", server, clientOptions);
  context.subscriptions.push(client);
  try {
    await client.start();
  } catch (e) {
    vscode.window.showErrorMessage(
      `cci-dsl: could not start \`${server.command} lsp\` (${e && e.message ? e.message : e}); ` +
        "install cci-dsl or set `cci-dsl.path`."
    );
  }
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, serverOptions, clientOptions };
