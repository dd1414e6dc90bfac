// SPDX-License-Identifier: MIT
#pragma once
/// Instructions per call of the decode rows, counted by callgrind: bench_matrix starts
/// rotary_decode_probe (decode_probe.cpp, next to its own executable) once under
///   valgrind --tool=callgrind --combine-dumps=yes
/// and reads one dump per row. The count includes the probe loop's own 2-3 instructions
/// per call. Linux only; empty (with a note why) elsewhere, without valgrind or the probe,
/// when the probe fails, or with ROTARY_BENCH_CALLGRIND=0 in the environment.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace rotary_bench {

struct instruction_counts {
  std::map<std::string, double> per_call;  ///< row name -> instructions per call
  std::string isa;                         ///< instruction set of the probe's build
  long calls = 0;                          ///< calls counted per row
  std::string note;                        ///< why per_call is empty
};

inline instruction_counts count_decode_instructions(long calls) {
  instruction_counts result;
  result.calls = calls;
  const char* env = std::getenv("ROTARY_BENCH_CALLGRIND");
  if (env != nullptr && std::string(env) == "0") {
    result.note = "ROTARY_BENCH_CALLGRIND=0";
    return result;
  }
#if defined(__linux__)
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    result.note = "no /proc/self/exe";
    return result;
  }
  std::string probe(self, static_cast<std::size_t>(len));
  probe = probe.substr(0, probe.rfind('/') + 1) + "rotary_decode_probe";
  if (access(probe.c_str(), X_OK) != 0 || probe.find('\'') != std::string::npos) {
    result.note = "no " + probe;
    return result;
  }
  if (std::system("command -v valgrind > /dev/null 2>&1") != 0) {
    result.note = "no valgrind";
    return result;
  }
  char dir_template[] = "/tmp/rotary_callgrind_XXXXXX";
  const char* dir_name = mkdtemp(dir_template);
  if (dir_name == nullptr) {
    result.note = "no temporary directory";
    return result;
  }
  const std::string dir(dir_name);
  const std::string out = dir + "/callgrind.out", log = dir + "/log", isa = dir + "/isa";
  const std::string command = "valgrind --tool=callgrind --combine-dumps=yes --callgrind-out-file='" +
                              out + "' '" + probe + "' " + std::to_string(calls) + " > '" + isa +
                              "' 2> '" + log + "'";
  if (std::system(command.c_str()) != 0) {
    result.note = "the probe failed under valgrind (see its log: kept in " + dir + ")";
    return result;
  }
  // A part of the combined file: "desc: Trigger: Client Request: <row>", later
  // "summary: <Ir>" (the only event counted without cache simulation).
  std::ifstream in(out);
  const std::string trigger = "desc: Trigger: Client Request: ", summary = "summary: ";
  std::string line, row;
  while (std::getline(in, line)) {
    if (line.compare(0, trigger.size(), trigger) == 0) {
      row = line.substr(trigger.size());
    } else if (line.compare(0, summary.size(), summary) == 0 && !row.empty()) {
      result.per_call[row] = std::strtod(line.c_str() + summary.size(), nullptr) /
                             static_cast<double>(calls);
      row.clear();
    }
  }
  std::ifstream isa_in(isa);
  std::string word;
  if (isa_in >> word && word == "isa") isa_in >> result.isa;
  std::remove(out.c_str());
  std::remove(log.c_str());
  std::remove(isa.c_str());
  rmdir(dir.c_str());
  if (result.per_call.empty()) result.note = "no dumps in the callgrind output";
#else
  result.note = "callgrind counts need Linux";
#endif
  return result;
}

}  // namespace rotary_bench
