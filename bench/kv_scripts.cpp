#include "kv_scripts.hpp"

#include <cstdio>

namespace paxos::bench {
namespace {

// Shared by every script: base64, the per-thread key offset, the status count and the summary.
const char* kPrelude = R"LUA(
local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function base64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end

local threads, thread_count = {}, 0
function setup(thread)
  thread:set('id', thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- Per thread (globals, so done() can read them with thread:get).
ok, bad, codes = 0, 0, {}
local prepared, next_index = {}, 1

function key_of(i) return string.format('k%06d', i) end
function value_of(i, bytes)
  local key = key_of(i)
  if bytes <= #key then return key:sub(#key - bytes + 1) end
  return string.rep('v', bytes - #key) .. key
end

function init(args)
  local keys, value_bytes = tonumber(args[1]), tonumber(args[2])
  for i = 0, keys - 1 do prepared[#prepared + 1] = make_request(i, value_bytes) end
  -- Threads start far apart in the key space, so concurrent writes mostly hit distinct keys.
  next_index = (id * 7919) % #prepared + 1
end

function request()
  local r = prepared[next_index]
  next_index = next_index % #prepared + 1
  return r
end

function count(status, good)
  if status >= 200 and status < 300 and good then
    ok = ok + 1
  else
    bad = bad + 1
    local code = tostring(status)
    if status >= 200 and status < 300 then code = code .. '-unexpected-body' end
    codes[code] = (codes[code] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, all = 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get('ok')
    total_bad = total_bad + t:get('bad')
    for code, n in pairs(t:get('codes')) do all[code] = (all[code] or 0) + n end
  end
  local text = ''
  for code, n in pairs(all) do text = text .. ' ' .. code .. 'x' .. n end
  if text == '' then text = ' none' end
  io.write(string.format(
    'kvbench ok %d bad %d requests %d duration_us %d p50_us %d p99_us %d connect %d read %d ' ..
    'write %d status %d timeout %d codes%s\n',
    total_ok, total_bad, summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, text))
end
)LUA";

// etcd v3.4's JSON gateway: keys and values in base64; range is linearizable by default.
const char* kEtcdPut = R"LUA(
local json = { ['Content-Type'] = 'application/json' }
function make_request(i, bytes)
  return wrk.format('POST', '/v3/kv/put', json,
    '{"key":"' .. base64(key_of(i)) .. '","value":"' .. base64(value_of(i, bytes)) .. '"}')
end
function response(status, headers, body) count(status, true) end
)LUA";

const char* kEtcdGet = R"LUA(
local json = { ['Content-Type'] = 'application/json' }
function make_request(i, bytes)
  return wrk.format('POST', '/v3/kv/range', json, '{"key":"' .. base64(key_of(i)) .. '"}')
end
-- etcd answers 200 with no "kvs" for a missing key: that is not a read of the value.
function response(status, headers, body) count(status, body:find('"kvs"', 1, true) ~= nil) end
)LUA";

const char* kEtcdHttp = R"LUA(
function make_request(i, bytes) return wrk.format('GET', '/version') end
function response(status, headers, body) count(status, true) end
)LUA";

// Ours (docs: kv-api): PUT /v1/kv/{key} with the raw value as body; GET is linearizable.
const char* kOursPut = R"LUA(
local text = { ['Content-Type'] = 'text/plain' }
function make_request(i, bytes)
  return wrk.format('PUT', '/v1/kv/' .. key_of(i), text, value_of(i, bytes))
end
function response(status, headers, body) count(status, true) end
)LUA";

const char* kOursGet = R"LUA(
function make_request(i, bytes) return wrk.format('GET', '/v1/kv/' .. key_of(i)) end
function response(status, headers, body) count(status, true) end
)LUA";

const char* kOursHttp = R"LUA(
function make_request(i, bytes) return wrk.format('GET', '/v1/status') end
function response(status, headers, body) count(status, true) end
)LUA";

}  // namespace

const char* name(KvSystem system) {
  return system == KvSystem::etcd ? "etcd" : "ours";
}

const char* name(KvOp op) {
  return op == KvOp::put ? "PUT" : op == KvOp::get ? "GET" : "HTTP";
}

std::string kvScript(KvSystem system, KvOp op) {
  const char* part = system == KvSystem::etcd ? (op == KvOp::put   ? kEtcdPut
                                                 : op == KvOp::get ? kEtcdGet
                                                                   : kEtcdHttp)
                                              : (op == KvOp::put   ? kOursPut
                                                 : op == KvOp::get ? kOursGet
                                                                   : kOursHttp);
  return std::string("-- paxos-bench kv: ") + name(system) + " " + name(op) +
         " (generated by bench/kv_scripts.cpp)\n" + kPrelude + part;
}

std::string kvKey(int i) {
  char text[16];
  std::snprintf(text, sizeof text, "k%06d", i);
  return text;
}

std::string kvValue(int i, int valueBytes) {
  std::string key = kvKey(i);
  if (valueBytes <= int(key.size())) return key.substr(key.size() - size_t(valueBytes));
  return std::string(size_t(valueBytes) - key.size(), 'v') + key;
}

std::string base64(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 |
                 (unsigned char)bytes[i + 2];
    for (int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    unsigned n = (unsigned char)bytes[i] << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    unsigned n = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace paxos::bench
