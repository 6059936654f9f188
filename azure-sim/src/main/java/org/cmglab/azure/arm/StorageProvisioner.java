package org.cmglab.azure.arm;

/**
 * Creates the storage account a CMG deployment comes with (blob containers and tables in Azurite). The Resource
 * Manager records the account and exposes it; the lab plugs in the Azurite implementation. Called on the Resource
 * Manager's worker thread (may block); an exception fails the deployment (which is then rolled back).
 */
public interface StorageProvisioner {
    /** Does nothing: the account is only recorded. */
    StorageProvisioner NONE = new StorageProvisioner() {
        @Override
        public void create(String accountName, String blobEndpoint) {}

        @Override
        public void delete(String accountName) {}
    };

    /**
     * Fails at once (before anything is started or created) when the account cannot be created at all, e.g. it has
     * no key in the lab's Azurite. {@link #create} checks the same; the default accepts every name.
     */
    default void check(String accountName) throws Exception {}

    void create(String accountName, String blobEndpoint) throws Exception;

    void delete(String accountName) throws Exception;
}
