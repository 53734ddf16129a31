// Projection snapshots in their own column family, each sealed with an HMAC-SHA256 under the
// snapshot key (ledger/FORMAT.md "Sealed snapshots").
#include <openssl/crypto.h>

#include "ledger/rocks_ledger.h"
#include "ledger/sha256.h"
#include "ledger/snapshot_key.h"

namespace ftl {

// A snapshot's stored value is its bytes, then HMAC-SHA256(key, u16 length || snapshot key ||
// bytes): ledger/FORMAT.md "Snapshots".
namespace {
Hash snapshot_mac(const Hash& key, std::string_view name, std::string_view bytes) {
  std::string prefix;
  format::put_u16(prefix, static_cast<std::uint16_t>(name.size()));
  prefix.append(name);
  return hmac_sha256(key, {prefix, bytes});
}
}  // namespace

StoredSnapshot RocksLedger::unseal(std::string name, std::string_view value) const {
  StoredSnapshot out;
  out.key = std::move(name);
  if (value.size() < 32) {
    out.bytes.assign(value);
    out.raw.assign(value);
    return out;
  }
  const auto bytes = value.substr(0, value.size() - 32);
  out.bytes.assign(bytes);
  if (const auto k = key()) {
    const auto mac = snapshot_mac(*k, out.key, bytes);
    out.authentic = CRYPTO_memcmp(mac.data(), value.data() + bytes.size(), 32) == 0;
  }
  if (!out.authentic) out.raw.assign(value);
  return out;
}

Status RocksLedger::put_snapshot(const std::string& key, const std::string& bytes) {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  if (auto st = write_health(); !st.ok()) return st;
  if (auto st = ensure_snapshot_key(); !st.ok()) return st;
  const auto mac_key = this->key();
  if (cf(kSnapshots) == nullptr) return Status::Unavailable("the snapshots of " + path_ + " could not be recreated");
  if (key.size() > format::kMaxNameBytes) return Status::InvalidArgument("a snapshot key of " + std::to_string(key.size()) + " bytes is too long");
  const auto mac = snapshot_mac(*mac_key, key, bytes);
  std::string value = bytes;
  value.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  // A snapshot is a cache that can always be refolded: not synced. It goes through the WAL all
  // the same, so that every column family stays in step with the log (rocks_options.cpp).
  rocksdb::WriteOptions wo;
  auto s = db_->Put(wo, cf(kSnapshots), key, value);
  return s.ok() ? Status::Ok() : Status::IOError(s.ToString());
}

Status RocksLedger::ensure_snapshot_key() {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  std::lock_guard lk(key_mu_);
  if (snapshot_key_) return Status::Ok();
  if (options_.snapshot_key_file.empty()) return Status::Unavailable("no snapshot key: snapshots are not written").tagged("ledger.snapshot_key");
  auto made = make_snapshot_key(options_.snapshot_key_file);
  if (!made.ok()) return made.status();
  snapshot_key_ = *made;
  return Status::Ok();
}

Result<StoredSnapshot> RocksLedger::get_snapshot(const std::string& key) {
  if (cf(kSnapshots) == nullptr) return Status::NotFound("no snapshots");
  std::string v;
  auto s = db_->Get({}, cf(kSnapshots), key, &v);
  if (s.IsNotFound()) return Status::NotFound("no snapshot " + key);
  if (!s.ok()) return Status::IOError(s.ToString());
  return unseal(key, v);
}

Status RocksLedger::list_snapshots(const std::function<bool(const StoredSnapshot&)>& fn) {
  if (cf(kSnapshots) == nullptr) return Status::Ok();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kSnapshots)));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    if (!fn(unseal(it->key().ToString(), it->value().ToStringView()))) return Status::Ok();
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return Status::Ok();
}

Result<std::uint64_t> RocksLedger::drop_snapshots() {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  if (auto st = write_health(); !st.ok()) return st;
  std::uint64_t n = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kSnapshots)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
  }
  // Drop the column family and create it afresh: its files are deleted whole, where deleting
  // each snapshot would leave tombstones for compactions to rewrite (the next writer's cost).
  auto& handle = cfs_[static_cast<std::size_t>(kSnapshots)];
  rocksdb::ColumnFamilyDescriptor desc;
  if (auto s = handle->GetDescriptor(&desc); !s.ok()) return Status::IOError(s.ToString());
  if (auto s = db_->DropColumnFamily(handle); !s.ok()) return Status::IOError(s.ToString());
  db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  handle = nullptr;
  if (auto s = db_->CreateColumnFamily(desc.options, desc.name, &handle); !s.ok()) return Status::IOError(s.ToString());
  return n;
}

}  // namespace ftl
