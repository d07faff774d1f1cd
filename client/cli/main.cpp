// `sealpost`: operator and client command line for a sealpost deployment.
#include <csignal>

#include "client/cli/commands.h"

int main(int argc, char** argv) {
  // A closed pipe (`sealpost listen | head -1`) must end us with an error
  // return from write, not kill us mid-line.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"sealpost: encrypted event delivery (keys, provisioning, events, clients)"};
  app.require_subcommand(1);
  sealpost::cli::Commands commands;
  sealpost::cli::AddKeyCommands(app, &commands);
  sealpost::cli::AddAdminCommands(app, &commands);
  sealpost::cli::AddGroupCommands(app, &commands);
  sealpost::cli::AddLiveCommands(app, &commands);
  sealpost::cli::AddRequestCommand(app, &commands);
  sealpost::cli::AddChatCommand(app, &commands);
  CLI11_PARSE(app, argc, argv);
  for (auto& [sub, run] : commands) {
    if (sub->parsed()) return run();
  }
  return 1;
}
