// The YAML hosts file: the text format's model plus options and per-host faults. Strict on
// purpose: a misspelt key would otherwise silently fall back to a default.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "config/hosts.hpp"

namespace paxos::config {

namespace {

using detail::quote;

constexpr long long kMaxCount = 65535;

class YamlReader {
 public:
  using Fields = std::map<std::string, std::function<void(const YAML::Node&, int)>>;

  YamlReader(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  Hosts read() {
    if (text_.empty())
      fail(1, "empty file", "a mapping with proposers, acceptors, learners, hosts", "nothing");
    const YAML::Node root = load();
    if (root.IsNull())
      fail(1, "no content", "a mapping with proposers, acceptors, learners, hosts",
           "only comments and blank lines");
    if (!root.IsMap())
      fail(lineOf(root, 1), "wrong type for the document",
           "a mapping with proposers, acceptors, learners, hosts", describe(root));

    Hosts hosts;
    hosts.file = file_;
    int* countOf[] = {&hosts.proposers, &hosts.acceptors, &hosts.learners};
    const char* countKeys[] = {"proposers", "acceptors", "learners"};
    Fields fields;
    for (int i = 0; i < 3; ++i)
      fields[countKeys[i]] = [&, i](const YAML::Node& v, int line) {
        *countOf[i] = readCount(countKeys[i], v, line);
      };
    fields["idle_timeout_ms"] = [&](const YAML::Node& v, int line) {
      hosts.options.idleTimeoutMs = readTimeout("idle_timeout_ms", v, line);
    };
    fields["client_timeout_ms"] = [&](const YAML::Node& v, int line) {
      hosts.options.clientTimeoutMs = readTimeout("client_timeout_ms", v, line);
    };
    fields["mode"] = [&](const YAML::Node& v, int line) {
      std::string word = readString("mode", v, line, kModeSyntax);
      auto mode = parseMode(word);
      if (!mode) fail(lineOf(v, line), "unknown mode", kModeSyntax, quote(word));
      hosts.mode = *mode;
    };
    fields["alpha"] = [&](const YAML::Node& v, int line) {
      constexpr std::string_view expected = "slots 1..1000000";
      long long alpha = readInteger("alpha", v, line, expected);
      if (alpha < 1 || alpha > 1000000)
        fail(lineOf(v, line), "bad alpha", expected, quote(v.Scalar()));
      hosts.alpha = static_cast<int>(alpha);
    };
    fields["key_file"] = [&](const YAML::Node& v, int line) {
      std::string path = readString("key_file", v, line, "a path to the cluster key");
      if (path.empty())
        fail(lineOf(v, line), "empty key_file", "a path to the cluster key", "\"\"");
      // Relative to the hosts file, so a run folder can be moved or started from anywhere.
      auto folder = std::filesystem::path(file_).parent_path();
      hosts.options.keyFile = path.starts_with('/') ? path : (folder / path).string();
    };
    fields["hosts"] = [&](const YAML::Node& v, int line) {
      hosts.countsLine = line;  // an empty or short list is best pointed at here
      readHosts(v, line, hosts.hosts);
    };
    readMap(root, lineOf(root, 1), "the document", fields,
            {"proposers", "acceptors", "learners", "hosts"});
    validate(hosts);
    return hosts;
  }

 private:
  [[noreturn]] void fail(int line, std::string_view problem, std::string_view expected,
                         std::string_view found) const {
    detail::fail(file_, line, problem, expected, found);
  }

  YAML::Node load() const {
    // yaml-cpp 0.7 loops or allocates without bound on some malformed input that fuzzing found
    // (a line starting with ','; aliases, which also allow "billion laughs"; tags). A hosts file
    // needs neither, so they are refused before yaml-cpp sees them.
    for (int line = 1; const auto& text : lines()) {
      auto code = text.substr(0, text.find('#'));
      if (line == 1 && code.starts_with("\xEF\xBB\xBF")) code.remove_prefix(3);  // byte order mark
      auto first = code.find_first_not_of(" \t");
      if (first != std::string_view::npos && code[first] == ',')
        fail(line, "a line starting with ','", "a key, a list item or a value",
             detail::quote(code.substr(first)));
      auto at = code.find_first_of("*&!");
      if (at != std::string_view::npos)
        fail(line, "YAML anchors, aliases and tags are not supported", "plain values",
             detail::quote(code.substr(at)));
      ++line;
    }
    try {
      countDocuments();
      return YAML::Load(std::string(text_));  // the first document only
    } catch (const YAML::Exception& e) {
      int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
      fail(line, "YAML syntax error: " + e.msg, "valid YAML", sourceLine(line));
    }
  }

  // Where each document and its first node start, without building nodes.
  struct DocumentStarts : YAML::EventHandler {
    std::vector<YAML::Mark> starts, firstNodes;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string&) override {
      node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
      node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
      node(mark);
    }
    void OnMapEnd() override {}
    void node(const YAML::Mark& mark) {
      if (firstNodes.size() < starts.size()) firstNodes.push_back(mark);
    }
  };

  // The structural bound: YAML::LoadAll in yaml-cpp 0.7 never returns (and allocates a null
  // document per turn) when a token cannot start a node, because such a document consumes
  // nothing and the next one starts at the same token (fixed upstream in 0.8). Every hang the
  // fuzzer found was this loop, whatever bytes led to it. So at most three documents are read
  // here, a document starting where the previous one did is a syntax error, and any second
  // document is refused.
  void countDocuments() const {
    std::istringstream in{std::string(text_)};
    YAML::Parser parser(in);
    DocumentStarts documents;
    for (int i = 0; i < 3 && parser.HandleNextDocument(documents); ++i) {
    }
    const auto& starts = documents.starts;
    for (size_t i = 1; i < starts.size(); ++i)
      if (starts[i].pos == starts[i - 1].pos) {
        int line = starts[i].line + 1;
        fail(line, "YAML syntax error: unexpected token", "valid YAML", sourceLine(line));
      }
    if (starts.size() > 1)  // the line of its content, as a user reads "the second document"
      fail((documents.firstNodes.size() > 1 ? documents.firstNodes[1] : starts[1]).line + 1,
           "more than one YAML document", "one document", "another \"---\"");
  }

  std::vector<std::string_view> lines() const {
    std::vector<std::string_view> out;
    std::string_view rest = text_;
    for (size_t end; (end = rest.find('\n')) != std::string_view::npos; rest.remove_prefix(end + 1))
      out.push_back(rest.substr(0, end));
    out.push_back(rest);
    return out;
  }

  std::string sourceLine(int line) const {
    std::string_view rest = text_;
    for (int i = 1; i < line; ++i) {
      auto end = rest.find('\n');
      if (end == std::string_view::npos) return "end of file";
      rest.remove_prefix(end + 1);
    }
    if (rest.empty()) return "end of file";
    return quote(rest.substr(0, rest.find('\n')));
  }

  // An empty value ("key:") is marked on the next line, so fall back to the key's line.
  static int lineOf(const YAML::Node& node, int fallback) {
    if (node.IsNull() || node.Mark().is_null()) return fallback;
    return node.Mark().line + 1;
  }

  static std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Scalar:
        // A quoted scalar is a string even if it reads like a number.
        return (node.Tag() == "!" ? "the string " : "") + quote(node.Scalar());
      default:
        return "nothing";
    }
  }

  // Calls each field's reader in file order; unknown, repeated and missing keys are errors.
  void readMap(const YAML::Node& map, int mapLine, std::string_view what, const Fields& fields,
               std::initializer_list<std::string_view> required) const {
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      int keyLine = lineOf(it->first, mapLine);
      std::string key = it->first.IsScalar() ? it->first.Scalar() : describe(it->first);
      auto field = fields.find(key);
      if (!it->first.IsScalar() || field == fields.end())
        fail(keyLine, "unknown key in " + std::string(what), "one of " + keyList(fields),
             quote(key));
      auto [previous, fresh] = seen.emplace(key, keyLine);
      if (!fresh)
        fail(keyLine, "repeated key in " + std::string(what), "each key once",
             quote(key) + " again, first on line " + std::to_string(previous->second));
      field->second(it->second, keyLine);
    }
    for (auto key : required)
      if (!seen.count(std::string(key)))
        fail(mapLine, "missing key in " + std::string(what), "\"" + std::string(key) + ": ...\"",
             "no " + std::string(key));
  }

  static std::string keyList(const Fields& fields) {
    std::string list;
    for (const auto& [key, reader] : fields) list += (list.empty() ? "" : ", ") + key;
    return list;
  }

  // Plain (unquoted) scalars only: `port: "10000"` is a string in YAML, and saying so beats
  // guessing what was meant.
  const std::string& plainScalar(const std::string& key, const YAML::Node& value, int line,
                                 std::string_view expected) const {
    if (!value.IsScalar() || value.Tag() != "?")
      fail(lineOf(value, line), "wrong type for " + key, expected, describe(value));
    return value.Scalar();
  }

  long long readInteger(const std::string& key, const YAML::Node& value, int line,
                        std::string_view expected) const {
    const std::string& text = plainScalar(key, value, line, expected);
    auto number = detail::parseInteger(text);
    if (!number) fail(lineOf(value, line), "bad " + key, expected, quote(text));
    return *number;
  }

  int readCount(const std::string& key, const YAML::Node& value, int line) const {
    std::string expected = "a number 1.." + std::to_string(kMaxCount);
    long long count = readInteger(key, value, line, expected);
    auto found = quote(value.Scalar());
    if (count < 0) fail(lineOf(value, line), "negative count for " + key, expected, found);
    if (count == 0) fail(lineOf(value, line), "role with no nodes: " + key, expected, found);
    if (count > kMaxCount) fail(lineOf(value, line), "count too large for " + key, expected, found);
    return static_cast<int>(count);
  }

  int readTimeout(const std::string& key, const YAML::Node& value, int line) const {
    constexpr std::string_view expected = "milliseconds 1..86400000";
    long long ms = readInteger(key, value, line, expected);
    if (ms < 1 || ms > 86400000)
      fail(lineOf(value, line), "bad " + key, expected, quote(value.Scalar()));
    return static_cast<int>(ms);
  }

  // Negative values are left to validate(), which owns the fault rules; the bound only keeps the
  // number in an int.
  int readMilliseconds(const std::string& key, const YAML::Node& value, int line) const {
    constexpr std::string_view expected = "milliseconds 0..86400000";
    long long ms = readInteger(key, value, line, expected);
    if (ms > 86400000 || ms < -86400000)
      fail(lineOf(value, line), "bad " + key, expected, quote(value.Scalar()));
    return static_cast<int>(ms);
  }

  double readProbability(const std::string& key, const YAML::Node& value, int line) const {
    constexpr std::string_view expected = "a probability 0..1";
    const std::string& text = plainScalar(key, value, line, expected);
    double p = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), p);
    if (ec != std::errc() || end != text.data() + text.size())
      fail(lineOf(value, line), "bad " + key, expected, quote(text));
    return p;
  }

  std::string readString(const std::string& key, const YAML::Node& value, int line,
                         std::string_view expected) const {
    if (!value.IsScalar())
      fail(lineOf(value, line), "wrong type for " + key, expected, describe(value));
    return value.Scalar();
  }

  void readHosts(const YAML::Node& list, int line, std::vector<Host>& out) const {
    constexpr std::string_view expected = "a list of {host, port, kind}";
    if (!list.IsSequence())
      fail(lineOf(list, line), "wrong type for hosts", expected, describe(list));
    for (const YAML::Node& entry : list) {
      int entryLine = lineOf(entry, line);
      if (!entry.IsMap())
        fail(entryLine, "wrong type for a host", "a mapping {host, port, kind}", describe(entry));
      out.push_back(readHost(entry, entryLine));
    }
  }

  Host readHost(const YAML::Node& entry, int entryLine) const {
    Host host;
    host.line = entryLine;
    Fields fields;
    fields["host"] = [&](const YAML::Node& v, int l) {
      host.name = readString("host", v, l, "a hostname or address");
    };
    fields["port"] = [&](const YAML::Node& v, int l) {
      long long port = readInteger("port", v, l, "a number 1..65535");
      if (port < 1 || port > 65535)
        fail(lineOf(v, l), "bad port", "a number 1..65535", quote(v.Scalar()));
      host.port = static_cast<uint16_t>(port);
    };
    fields["kind"] = [&](const YAML::Node& v, int l) {
      std::string kind = readString("kind", v, l, "con or cli");
      if (kind != "con" && kind != "cli")
        fail(lineOf(v, l), "unknown kind", "\"con\" or \"cli\"", quote(kind));
      host.kind = kind == "con" ? Kind::consensus : Kind::client;
    };
    fields["http"] = [&](const YAML::Node& v, int l) {
      // Quoted or plain: "127.0.0.1:8081" reads the same either way. validate() places it.
      std::string text = readString("http", v, l, kHttpSyntax);
      host.http = parseHttpAddress(text);
      if (!host.http) fail(lineOf(v, l), "bad http address", kHttpSyntax, quote(text));
    };
    fields["crash_at"] = [&](const YAML::Node& v, int l) {
      host.faults.crashAt = readString("crash_at", v, l, "EVENT or EVENT:N");
    };
    fields["drop"] = [&](const YAML::Node& v, int l) {
      host.faults.drop = readProbability("drop", v, l);
    };
    fields["duplicate"] = [&](const YAML::Node& v, int l) {
      host.faults.duplicate = readProbability("duplicate", v, l);
    };
    fields["delay_ms"] = [&](const YAML::Node& v, int l) {
      host.faults.delayMs = readMilliseconds("delay_ms", v, l);
    };
    fields["jitter_ms"] = [&](const YAML::Node& v, int l) {
      host.faults.jitterMs = readMilliseconds("jitter_ms", v, l);
    };
    readMap(entry, entryLine, "a host", fields, {"host", "port", "kind"});
    return host;
  }

  std::string_view text_;
  const std::string& file_;
};

}  // namespace

Hosts parseYamlHosts(std::string_view text, const std::string& file) {
  // yaml-cpp would read past a NUL or stop at it; either way the message would mislead.
  detail::requireText(text.starts_with("\xef\xbb\xbf") ? text.substr(3) : text, file);
  return YamlReader(text, file).read();
}

}  // namespace paxos::config
