// ftl task done|reopen|na|list, ftl status, ftl service status|target, ftl note add,
// ftl contact add|update, ftl usage, ftl correct: recording what happens in an engagement.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/context.h"

namespace ftl::cli {
namespace {

using nlohmann::json;

using Record = Recording;
int record(const std::string& op, const Record& r, json args) { return record_command(op, r, std::move(args)); }

// Options given on the command line go into the arguments; others stay out (a change
// touches only what was given).
void put_given(json& args, CLI::App* cmd, const std::vector<std::tuple<const char*, const char*, std::string*>>& opts) {
  for (const auto& [opt, key, value] : opts)
    if (cmd->count(opt) > 0) args[key] = *value;
}

void setup_tasks(CLI::App& app) {
  auto* task = app.add_subcommand("task", "Record task completions, reopenings and not-applicable tasks");
  task->require_subcommand(1);
  task->footer("Example:\n  ftl task done contoso 1126 --note \"Kick-off held\"\n  ftl task list contoso --open");
  struct TaskOpts {
    Record r;
    std::uint32_t task = 0;
    std::string reason, note;
  };
  for (auto [name, help] : {std::pair{"done", "Record a task as done"}, std::pair{"reopen", "Reopen a done or not-applicable task"},
                            std::pair{"na", "Mark an optional task not applicable, with a reason"}}) {
    auto t = std::make_shared<TaskOpts>();
    auto* cmd = task->add_subcommand(name, help);
    cmd->add_option("engagement", t->r.engagement)->required();
    cmd->add_option("task", t->task, "FTOP task id")->required();
    // What each event keeps: a completion its note, a reopening or a not-applicable its reason.
    if (std::string(name) == "done") cmd->add_option("--note", t->note, "A note to keep with the completion");
    else cmd->add_option("--reason", t->reason, std::string(name) == "na" ? "Why it does not apply (required)" : "Why it is reopened");
    add_effective(cmd, t->r);
    const std::string n = name;
    cmd->footer("Example:\n  ftl task " + n + " contoso 1126" + (n == "na" ? " --reason \"No SharePoint hybrid\"" : ""));
    cmd->callback([t, n, cmd] {
      json args = {{"task", t->task}};
      if (n == "done") put_given(args, cmd, {{"--note", "note", &t->note}});
      else put_given(args, cmd, {{"--reason", "reason", &t->reason}});
      exit_code() = record("task." + n, t->r, args);
    });
  }
  struct ListOpts {
    std::string engagement, service, as_of;
    bool open = false, done = false, na = false;
  };
  auto tl = std::make_shared<ListOpts>();
  auto* tlc = task->add_subcommand("list", "The tasks that apply to an engagement, with their status");
  tlc->add_option("engagement", tl->engagement)->required();
  tlc->add_flag("--open", tl->open, "Only open tasks");
  tlc->add_flag("--done", tl->done, "Only done tasks");
  tlc->add_flag("--na", tl->na, "Only not-applicable tasks");
  tlc->add_option("--service", tl->service, "Only tasks for this service (All Services included)");
  tlc->add_option("--as-of", tl->as_of, "As of a sequence number or a time");
  tlc->footer("Example:\n  ftl task list contoso --open --service Exchange\n  ftl task list contoso --done --as-of 2026-11-10T12:00:00Z");
  tlc->callback([tl] {
    json args = {{"engagement", tl->engagement}, {"service", tl->service}, {"as_of", tl->as_of},
                 {"open", tl->open}, {"done", tl->done}, {"na", tl->na}};
    exit_code() = list_command("task.list", args,
                               {{"id", "ID", true}, {"status", "Status"}, {"mandatory", "M/O"}, {"name", "Name"},
                                {"services", "Services"}, {"by", "By"}, {"at", "At"}},
                               [](json row, Format format) {
                                 if (format == Format::kTable || format == Format::kMd)
                                   row["mandatory"] = row["mandatory"].get<bool>() ? "M" : "O";
                                 if (format == Format::kTable && row.contains("at")) row["at"] = row["at"].get<std::string>().substr(0, 10);
                                 return row;
                               });
  });
}

void setup_status(CLI::App& app) {
  struct StatusOpts {
    Record r;
    std::string service, l1, l2, target;
  };
  auto st = std::make_shared<StatusOpts>();
  auto* stc = app.add_subcommand("status", "Set Consumption Status (L1) and Reason (L2) per service entitlement");
  stc->add_option("engagement", st->r.engagement)->required();
  stc->add_option("--service", st->service, "One service (default: every service in scope)");
  stc->add_option("--l1", st->l1, "Consumption Status (L1)")->required();
  stc->add_option("--l2", st->l2, "Reason (L2)");
  stc->add_option("--target", st->target, "Target date (required for In Progress unless already set)");
  add_effective(stc, st->r);
  stc->footer("Example:\n  ftl status contoso --l1 \"In Progress\" --l2 \"Solution or User Adoption\" --target 2026-12-15\n  ftl status contoso --service Teams --l1 Blocked --l2 \"Adoption Readiness\"");
  stc->callback([st, stc] {
    json args = {{"l1", st->l1}};
    put_given(args, stc, {{"--service", "service", &st->service}, {"--l2", "l2", &st->l2}, {"--target", "target", &st->target}});
    exit_code() = record("status.set", st->r, args);
  });

  auto* svc = app.add_subcommand("service", "Per-workload Service Status and target date");
  svc->require_subcommand(1);
  struct SvcOpts {
    Record r;
    std::string service, value;
  };
  for (bool target : {false, true}) {
    auto s = std::make_shared<SvcOpts>();
    auto* cmd = svc->add_subcommand(target ? "target" : "status", target ? "Set a service's target date"
                                                                         : "Set a service's Service Status (Initiate ... Adoption)");
    cmd->add_option("engagement", s->r.engagement)->required();
    cmd->add_option("service", s->service)->required();
    cmd->add_option(target ? "date" : "value", s->value)->required();
    add_effective(cmd, s->r);
    cmd->footer(target ? "Example:\n  ftl service target contoso Teams 2026-12-15" : "Example:\n  ftl service status contoso Exchange Migrate");
    cmd->callback([s, target] {
      exit_code() = record(target ? "service.target" : "service.status", s->r,
                           {{"service", s->service}, {target ? "date" : "value", s->value}});
    });
  }
}

void setup_notes_contacts(CLI::App& app) {
  auto* note = app.add_subcommand("note", "Notes: Technical Enablement, Engagement Management, Environment");
  note->require_subcommand(1);
  struct NoteOpts {
    Record r;
    std::string kind, text, step;
    std::uint32_t item = 0;
  };
  auto no = std::make_shared<NoteOpts>();
  auto* na = note->add_subcommand("add", "Add a note, optionally documenting a step's checklist item");
  na->add_option("engagement", no->r.engagement)->required();
  na->add_option("--kind", no->kind, "technical-enablement, engagement-management or environment")->required();
  na->add_option("--text", no->text, "The note")->required();
  na->add_option("--step", no->step, "The step whose checklist it documents");
  na->add_option("--item", no->item, "The checklist item (1-based: inputs, then outputs)");
  add_effective(na, no->r);
  na->footer("Example:\n  ftl note add contoso --kind technical-enablement --text \"ViewPoint validated Directory Sync\" --step \"Perform Enablement Tasks\" --item 2");
  na->callback([no] {
    json args = {{"kind", no->kind}, {"text", no->text}};
    if (!no->step.empty()) args["step"] = no->step;
    if (no->item != 0) args["item"] = no->item;
    exit_code() = record("note.add", no->r, args);
  });

  auto* contact = app.add_subcommand("contact", "Customer contacts: name, role, survey eligibility, language, country, services");
  contact->require_subcommand(1);
  for (bool update : {false, true}) {
    struct ContactOpts {
      Record r;
      std::string id, name, role, language, country, services, survey;
    };
    auto co = std::make_shared<ContactOpts>();
    auto* cc = contact->add_subcommand(update ? "update" : "add", update ? "Change a contact" : "Add a contact");
    cc->add_option("engagement", co->r.engagement)->required();
    if (update) cc->add_option("contact", co->id, "Contact id or name")->required();
    auto* name_opt = cc->add_option("--name", co->name, "Name");
    if (!update) name_opt->required();
    cc->add_option("--role", co->role, "Role, e.g. Customer PM");
    cc->add_option("--survey-eligible", co->survey, "yes or no");
    cc->add_option("--language", co->language, "Survey language, e.g. pt");
    cc->add_option("--country", co->country, "Country, e.g. BR");
    cc->add_option("--services", co->services, "Services the contact worked on");
    add_effective(cc, co->r);
    cc->footer(update ? "Example:\n  ftl contact update contoso ana-silva --survey-eligible yes"
                      : "Example:\n  ftl contact add contoso --name \"Ana Silva\" --role \"Customer PM\" --survey-eligible yes --language pt --country BR --services Teams");
    cc->callback([co, cc, update] {
      json args = json::object();
      if (update) args["contact"] = co->id;
      put_given(args, cc,
                {{"--name", "name", &co->name}, {"--role", "role", &co->role}, {"--language", "language", &co->language},
                 {"--country", "country", &co->country}, {"--services", "services", &co->services},
                 {"--survey-eligible", "survey_eligible", &co->survey}});
      exit_code() = record(update ? "contact.update" : "contact.add", co->r, args);
    });
  }
}

void setup_usage_correct(CLI::App& app) {
  struct UsageOpts {
    Record r;
    std::uint64_t users = 0;
    std::string source;
  };
  auto us = std::make_shared<UsageOpts>();
  auto* uc = app.add_subcommand("usage", "Record active users as read from the usage source");
  uc->add_option("engagement", us->r.engagement)->required();
  uc->add_option("--active-users", us->users, "Active users")->required();
  uc->add_option("--source", us->source, "Where the figure comes from, e.g. Lynx");
  add_effective(uc, us->r);
  uc->footer("Example:\n  ftl usage contoso --active-users 1800 --source Lynx");
  uc->callback([us] { exit_code() = record("usage.record", us->r, {{"active_users", us->users}, {"source", us->source}}); });

  struct CorrectOpts {
    std::string event_id, reason, effective;
    std::string task, na_reason, l1, l2, target, service_status, text, active_users, source;
  };
  auto cr = std::make_shared<CorrectOpts>();
  auto* crc = app.add_subcommand("correct", "Correct an earlier event: it is void from now on, both stay in the history");
  crc->add_option("event_id", cr->event_id, "The event to correct (see ftl log)")->required();
  crc->add_option("--reason", cr->reason, "Why")->required();
  crc->add_option("--task", cr->task, "The task that was meant");
  crc->add_option("--na-reason", cr->na_reason, "The not-applicable reason that was meant");
  crc->add_option("--l1", cr->l1);
  crc->add_option("--l2", cr->l2);
  crc->add_option("--target", cr->target);
  crc->add_option("--service-status", cr->service_status);
  crc->add_option("--text", cr->text, "The note text that was meant");
  crc->add_option("--active-users", cr->active_users);
  crc->add_option("--source", cr->source);
  crc->add_option("--effective", cr->effective);
  crc->footer("Example:\n  ftl correct 0190a1b2-... --reason \"wrong task\" --task 1158");
  crc->callback([cr, crc] {
    json args = {{"event_id", cr->event_id}, {"reason", cr->reason}};
    put_given(args, crc,
              {{"--task", "task", &cr->task}, {"--na-reason", "na_reason", &cr->na_reason}, {"--l1", "l1", &cr->l1},
               {"--l2", "l2", &cr->l2}, {"--target", "target", &cr->target}, {"--service-status", "service_status", &cr->service_status},
               {"--text", "text", &cr->text}, {"--active-users", "active_users", &cr->active_users}, {"--source", "source", &cr->source}});
    if (!put_effective(args, cr->effective)) {
      exit_code() = exit_code();
      return;
    }
    exit_code() = write_command("correct", args);
  });
}

}  // namespace

void setup_record(CLI::App& app) {
  setup_tasks(app);
  setup_status(app);
  setup_notes_contacts(app);
  setup_usage_correct(app);
}

}  // namespace ftl::cli
