import { Suspense } from "react";

import { PageTitle } from "@/components/PageTitle";
import { SignInForm } from "@/components/SignInForm";

export default function SignInPage() {
  return (
    <Suspense fallback={<PageTitle title="Sign in" />}>
      <SignInForm />
    </Suspense>
  );
}
