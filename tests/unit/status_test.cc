// Status / Result: errno plus a message; strerror text as glibc prints it (what a user
// sees from `echo N > sriov_numvfs` and from "RTNETLINK answers: ...").
#include "common/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace softvf {
namespace {

TEST(Status, OkHasNoErrno) {
  Status ok = Status::Ok();
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.errnum(), 0);
  EXPECT_EQ(ok.errno_text(), "Success");
  EXPECT_EQ(ok.message(), "Success");
}

TEST(Status, ErrnoTextIsGlibcStrerror) {
  EXPECT_EQ(Status::Errno(EINVAL).errno_text(), "Invalid argument");
  EXPECT_EQ(Status::Errno(ERANGE).errno_text(), "Numerical result out of range");
  EXPECT_EQ(Status::Errno(EBUSY).errno_text(), "Device or resource busy");
  EXPECT_EQ(Status::Errno(ENOENT).errno_text(), "No such file or directory");
  EXPECT_EQ(Status::Errno(EOPNOTSUPP).errno_text(), "Operation not supported");
  EXPECT_EQ(Status::Errno(EPERM).errno_text(), "Operation not permitted");
  EXPECT_EQ(Status::Errno(ENOMEM).errno_text(), "Cannot allocate memory");
  EXPECT_EQ(Status::Errno(EPROTONOSUPPORT).errno_text(), "Protocol not supported");
  EXPECT_EQ(Status::Errno(EACCES).errno_text(), "Permission denied");
  EXPECT_EQ(Status::Errno(EIO).errno_text(), "Input/output error");
}

TEST(Status, MessageFallsBackToErrnoText) {
  EXPECT_EQ(Status::Errno(EBUSY).message(), "Device or resource busy");
  Status st = Status::Errno(EBUSY, "4 VFs already enabled. Disable before enabling 2 VFs");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.errnum(), EBUSY);
  EXPECT_EQ(st.message(), "4 VFs already enabled. Disable before enabling 2 VFs");
  EXPECT_EQ(st.errno_text(), "Device or resource busy");
}

Status FailsWith(int e) {
  SOFTVF_RETURN_IF_ERROR(Status::Ok());
  SOFTVF_RETURN_IF_ERROR(Status::Errno(e, "inner"));
  return Status::Errno(EIO, "not reached");
}

TEST(Status, ReturnIfErrorPropagatesTheFirstError) {
  Status st = FailsWith(ENOSPC);
  EXPECT_EQ(st.errnum(), ENOSPC);
  EXPECT_EQ(st.message(), "inner");
}

TEST(Result, ValueOrStatus) {
  Result<std::string> v = std::string("7");
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, "7");
  EXPECT_EQ(v->size(), 1u);
  EXPECT_TRUE(v.status().ok());
  Result<std::string> e = Status::Errno(ENOENT, "gone");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().errnum(), ENOENT);
  EXPECT_EQ(e.status().message(), "gone");
}

}  // namespace
}  // namespace softvf
