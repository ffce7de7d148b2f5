import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { LatchkeyError } from './lib/api';
import { sessionKey } from './lib/session';
import './styles.css';

const queryClient: QueryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) =>
        !(error instanceof LatchkeyError && error.status > 0 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
  // A session that expired mid-use: ask again who is signed in, which shows the sign-in page.
  queryCache: new QueryCache({
    onError: (error, query) => {
      if (query.queryKey[0] !== 'session') recheckSession(error);
    },
  }),
  mutationCache: new MutationCache({ onError: (error) => recheckSession(error) }),
});

function recheckSession(error: unknown): void {
  if (error instanceof LatchkeyError && error.status === 401)
    void queryClient.invalidateQueries({ queryKey: sessionKey });
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
