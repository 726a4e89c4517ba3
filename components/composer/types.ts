export type Repo = {
  fullName: string;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  installationId: number;
  htmlUrl: string;
};

export type Branch = { name: string; isDefault: boolean; protected: boolean };

export type ReposResponse = {
  repos: Repo[];
  total: number;
  cachedAt: string;
  install: { label: string; href: string } | null;
};
