// Runs every registered test adapter on every ISA table this build and CPU run, against the scalar
// table, and reports the members of KernelTable no adapter covers.
//   kernel-tests [--seed N] [family...]      exit status 0 when everything passed
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace os::test {
namespace {

// The number of members of an aggregate: the most initialisers T{...} accepts (C++20 lets the
// compiler answer in a requires-expression). AnyMember converts to any member type.
struct AnyMember {
  template <class T>
  operator T() const;
};

template <class T, class... Init>
constexpr size_t member_count() {
  if constexpr (requires { T{Init{}..., AnyMember{}}; }) {
    return member_count<T, Init..., AnyMember>();
  } else {
    return sizeof...(Init);
  }
}

// The ISAs with their own table on this architecture, besides scalar.
std::vector<Isa> simd_isas() {
#if defined(__x86_64__) || defined(_M_X64)
  return {Isa::avx2, Isa::avx512};
#elif defined(__aarch64__)
  return {Isa::neon};
#elif defined(__wasm_simd128__)
  return {Isa::wasmsimd};
#else
  return {};
#endif
}

KernelTable table_of(Isa isa) {
  use_isa(isa);
  return kernels();
}

// Reports the KernelTable members no adapter covers: a family added to the table is listed as untested
// until its owner registers an adapter, which then runs it on every ISA.
void report_coverage(const std::vector<const Family*>& all) {
  std::vector<std::pair<size_t, std::string>> covered = {{field(&KernelTable::isa), "isa"}};
  for (const Family* f : all) {
    for (size_t offset : f->fields) {
      bool seen = false;
      for (const auto& c : covered) seen = seen || c.first == offset;
      if (!seen) covered.emplace_back(offset, f->name);
    }
  }
  std::sort(covered.begin(), covered.end());
  std::string names;
  for (const auto& c : covered) names += " " + c.second;
  constexpr size_t members = member_count<KernelTable>();
  std::printf("coverage: %zu of %zu KernelTable members have a test adapter (in declaration order:%s)\n",
              covered.size(), members, names.c_str());
  if (covered.size() < members) {
    std::printf("UNTESTED: %zu KernelTable members have no test adapter: add csrc/test/<family>-test.cc"
                " (csrc/test/README.md)\n",
                members - covered.size());
  }
}

int run(int argc, char** argv) {
  uint64_t seed = 1;
  std::vector<std::string> only;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: %s [--seed N] [family...]\n", argv[0]);
      return 2;
    } else {
      only.emplace_back(argv[i]);
    }
  }

  // Registration order depends on link order: sort for a stable report.
  std::vector<const Family*> all;
  for (const Family& f : families()) all.push_back(&f);
  std::sort(all.begin(), all.end(), [](const Family* a, const Family* b) { return std::strcmp(a->name, b->name) < 0; });
  std::vector<const Family*> selected;
  for (const std::string& name : only) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const Family* f) { return name == f->name; });
    if (it == all.end()) {
      std::fprintf(stderr, "no test adapter for a family named '%s'\n", name.c_str());
      return 2;
    }
    selected.push_back(*it);
  }
  if (only.empty()) selected = all;

  std::vector<Isa> isas;
  std::string tested, skipped;
  for (Isa isa : simd_isas()) {
    if (isa_supported(isa)) {
      isas.push_back(isa);
      tested += std::string(" ") + isa_name(isa);
    } else {
      skipped += std::string(" ") + isa_name(isa);
    }
  }
  std::printf("kernel tests: seed %llu; ISAs:%s against scalar%s%s\n", static_cast<unsigned long long>(seed),
              tested.empty() ? " (none)" : tested.c_str(), skipped.empty() ? "" : "; not run here:",
              skipped.c_str());

  size_t failures = 0;
  const KernelTable scalar = table_of(Isa::scalar);
  for (const Family* f : selected) {
    if (f->spec) {
      Check check(f->name, "scalar", seed);
      f->spec(check, scalar);
      check.print();
      failures += check.failures();
    }
    for (Isa isa : isas) {
      const KernelTable table = table_of(isa);
      Check check(f->name, isa_name(isa), seed);
      f->test(check, table, scalar);
      check.print();
      failures += check.failures();
    }
  }
  report_coverage(all);
  std::printf("kernel tests: %s (%zu families%s)\n", failures ? "FAIL" : "PASS", selected.size(),
              failures ? (", " + std::to_string(failures) + " failed cases").c_str() : "");
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace os::test

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines written before a crash must not be lost in a pipe
  os::test::report_crashes();
  return os::test::run(argc, argv);
}
