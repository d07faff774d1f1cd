// Subcommands of `sealpost`. Each Add* registers its subcommands on the app
// and records the function that runs the one the user picked.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace sealpost::cli {

using Runner = std::function<int()>;
using Commands = std::vector<std::pair<CLI::App*, Runner>>;

void AddKeyCommands(CLI::App& app, Commands* out);     // keygen, pubkey
void AddAdminCommands(CLI::App& app, Commands* out);   // provision, push, dead, replay, status
void AddGroupCommands(CLI::App& app, Commands* out);   // group add|remove|list|members|presence
void AddLiveCommands(CLI::App& app, Commands* out);    // listen, send, shell
void AddRequestCommand(CLI::App& app, Commands* out);  // request
void AddChatCommand(CLI::App& app, Commands* out);     // chat

}  // namespace sealpost::cli
