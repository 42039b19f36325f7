// Running the real `spine` binary from tests: spawn with output to files,
// read files back.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace spine::testing {

// Starts `argv` with stdout and stderr to files; returns the pid.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path) {
  const pid_t child = fork();
  if (child == 0) {
    if (freopen(out_path.c_str(), "w", stdout) == nullptr || freopen(err_path.c_str(), "w", stderr) == nullptr) {
      _exit(126);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return child;
}

struct CommandOutput {
  int exit_code = -1;
  std::string out;  // stdout; stderr is discarded
};

// Runs a shell command; its exit code and standard output.
inline CommandOutput run_command(const std::string& command) {
  CommandOutput result;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[8192];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace spine::testing
