// The helper side of Bulkhead, for apps: register roles and let
// MaybeRunHelper take the helper path at the top of main().
//
//   bulkhead::RoleRegistry roles;
//   roles.Add("filter", &FilterMain);  // int FilterMain(bulkhead::HelperContext&)
//   if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;
//
// In a role: register handlers on context.channel() (Serve<Req, Resp>,
// On<T>), then return context.Run().
#ifndef BULKHEAD_HELPER_H_
#define BULKHEAD_HELPER_H_

#include "bulkhead/version.h"
#include "helper/helper_context.h"
#include "helper/helper_main.h"
#include "helper/role_registry.h"

#endif  // BULKHEAD_HELPER_H_
