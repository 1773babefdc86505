// The W3C log's sc-win32-status as IIS writes it: a Windows system error code
// (5 access denied, 2 not found, 64 network name deleted, 1236 connection
// aborted), from the errno Gatehouse records. Pure.
#pragma once

namespace gatehouse::http {

// 0 stays 0; an errno without a Windows counterpart is 31 (ERROR_GEN_FAILURE).
int win32_from_errno(int errnum);

}  // namespace gatehouse::http
