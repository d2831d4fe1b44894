// Writes small seed images for image_fuzzer into a directory: for every registered layout, a fresh database
// and one holding a small table (with an index, and a row spilling into an overflow page), each as a raw
// virtual memory (<layout>-<state>.raw) and inside a MemoryManager with 64 KiB buckets (<layout>-<state>.mm),
// so the fuzzer starts from valid images of a few hundred KiB instead of the 8 MiB a default bucket takes.
// Usage: fuzz_make_image_seeds DIR. Exit 2 for a bad argument, 1 when the library fails.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "lib/db/db.h"
#include "lib/layout/layout_registry.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs {
namespace {

constexpr const char* kTable =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB); CREATE INDEX t_v ON t(v);"
    "INSERT INTO t VALUES(1, 'one', x'00ff'), (2, 'two', zeroblob(20000)), (3, NULL, NULL);"
    "UPDATE t SET v = 'uno' WHERE id = 1";

void Fill(StableMemory& memory, const LayoutInfo& layout, bool with_table) {
  DbOptions options;
  options.layout = &layout;
  Result<std::unique_ptr<Db>> db = Db::Init(memory, options);
  if (!db.ok()) throw std::runtime_error("Db::Init: " + db.status().ToString());
  if (!with_table) return;
  const Status s = db.value()->Update([](Connection& c) { return c.ExecuteScript(kTable); });
  if (!s.ok()) throw std::runtime_error("Update: " + s.ToString());
}

void Write(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace
}  // namespace stablevfs

int main(int argc, char** argv) {
  using namespace stablevfs;
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " DIR  (writes the seed images for image_fuzzer into DIR)\n";
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  try {
    std::filesystem::create_directories(dir);
    int written = 0;
    for (const LayoutInfo* layout : LayoutRegistry::Global().All()) {
      for (const bool with_table : {false, true}) {
        const std::string stem = layout->name + (with_table ? "-table" : "-fresh");
        HeapStableMemory raw;
        Fill(raw, *layout, with_table);
        Write(dir / (stem + ".raw"), raw.bytes());
        HeapStableMemory whole;
        Result<std::unique_ptr<MemoryManager>> manager = MemoryManager::InitOrLoad(whole, 1);
        if (!manager.ok()) throw std::runtime_error("MemoryManager: " + manager.status().ToString());
        Result<VirtualMemory*> memory = manager.value()->Get(120);
        if (!memory.ok()) throw std::runtime_error("MemoryManager::Get: " + memory.status().ToString());
        Fill(*memory.value(), *layout, with_table);
        Write(dir / (stem + ".mm"), whole.bytes());
        written += 2;
      }
    }
    std::cout << "wrote " << written << " seed images to " << dir.string() << "\n";
  } catch (const std::exception& e) {
    std::cerr << argv[0] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
