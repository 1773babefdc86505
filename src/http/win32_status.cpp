// errno to Windows system error codes (winerror.h), for sc-win32-status.
#include "http/win32_status.hpp"

#include <cerrno>

namespace gatehouse::http {

int win32_from_errno(int errnum) {
  switch (errnum) {
    case 0:
      return 0;
    case ENOENT:
      return 2;  // ERROR_FILE_NOT_FOUND
    case ENOTDIR:
      return 3;  // ERROR_PATH_NOT_FOUND
    case EMFILE:
    case ENFILE:
      return 4;  // ERROR_TOO_MANY_OPEN_FILES
    case EACCES:
    case EPERM:
      return 5;  // ERROR_ACCESS_DENIED
    case EBADF:
      return 6;  // ERROR_INVALID_HANDLE
    case ENOMEM:
      return 8;  // ERROR_NOT_ENOUGH_MEMORY
    case ECONNRESET:
    case EPIPE:
      return 64;  // ERROR_NETNAME_DELETED: the client went away
    case EINVAL:
      return 87;  // ERROR_INVALID_PARAMETER
    case ENOSPC:
      return 112;  // ERROR_DISK_FULL
    case ETIMEDOUT:
      return 121;  // ERROR_SEM_TIMEOUT
    case EEXIST:
      return 183;  // ERROR_ALREADY_EXISTS
    case ENAMETOOLONG:
      return 206;  // ERROR_FILENAME_EXCED_RANGE
    case ECANCELED:
      return 995;  // ERROR_OPERATION_ABORTED
    case EIO:
      return 1117;  // ERROR_IO_DEVICE
    case ECONNREFUSED:
      return 1225;  // ERROR_CONNECTION_REFUSED
    case ECONNABORTED:
      return 1236;  // ERROR_CONNECTION_ABORTED
    case ELOOP:
      return 1921;  // ERROR_CANT_RESOLVE_FILENAME
    default:
      return 31;  // ERROR_GEN_FAILURE
  }
}

}  // namespace gatehouse::http
