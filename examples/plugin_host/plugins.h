// The plugins: untrusted code, each run as its own helper role. Every plugin
// answers DescribePluginRequest, takes a TaskEvent, asks the app for a setting
// (GetSettingRequest) and hands back its output (SubmitResultRequest).
//   upper:     greets and upper-cases the text.
//   wordcount: counts the words at least `min_length` long.
//   spin:      asks for its setting, then loops forever (a hung plugin).
#ifndef PLUGIN_HOST_PLUGINS_H_
#define PLUGIN_HOST_PLUGINS_H_

#include "bulkhead/helper.h"

namespace plugin_host {

// Adds the plugins' roles to `roles`; false if a name was taken.
bool RegisterPlugins(bulkhead::RoleRegistry& roles);

}  // namespace plugin_host

#endif  // PLUGIN_HOST_PLUGINS_H_
