// The driver that stands in for libFuzzer where there is none (the g++ builds: default, asan): runs
// LLVMFuzzerTestOneInput once on every file named, or found under a directory named, on the command line.
// The tests fuzz_replay_<target> use it to run each target's seeds and regression files in every build, so a
// crash once found stays fixed without clang. Exit 0 when every input ran; 2 for a missing path or when no
// input was found (a replay of nothing proves nothing). A finding aborts, as under libFuzzer.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path path(argv[i]);
    std::error_code error;
    if (fs::is_directory(path, error)) {
      for (const fs::directory_entry& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else if (fs::is_regular_file(path, error)) {
      inputs.push_back(path);
    } else {
      std::cerr << argv[0] << ": " << path.string() << " is neither a file nor a directory; name seed or "
                << "regression files, or directories holding them\n";
      return 2;
    }
  }
  if (inputs.empty()) {
    std::cerr << argv[0] << ": no input files found; name seed or regression files, or directories holding them\n";
    return 2;
  }
  std::sort(inputs.begin(), inputs.end());
  for (const fs::path& path : inputs) {
    std::ifstream file(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (!file.good() && !file.eof()) {
      std::cerr << argv[0] << ": cannot read " << path.string() << "\n";
      return 2;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << "replayed " << inputs.size() << " input" << (inputs.size() == 1 ? "" : "s") << " without a finding\n";
  return 0;
}
